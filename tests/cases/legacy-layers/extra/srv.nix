{ recorder.extra.srv = true; }
