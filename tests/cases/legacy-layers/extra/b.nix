{ recorder.extra.b = true; }
