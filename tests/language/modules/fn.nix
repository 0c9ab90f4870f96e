{ a, b ? 2, ... }@args: { sum = a + b; n = args; }
