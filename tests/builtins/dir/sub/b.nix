"sub"
