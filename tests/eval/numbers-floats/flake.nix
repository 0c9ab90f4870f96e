{
  description = "floats: Nix 2.8 prints them with 6 significant digits; the harness compares with a tolerance";
  outputs = inputs: {
    inventory.instances.floats.roles.r.settings = {
      point_one = 0.1;
      one_point_zero = 1.0;
      zero_point_zero = 0.0;
      minus_zero_point_zero = -0.0;
      precise = 123456789.123;
      pi = 3.14159265358979;
      exp = 1.0e10;
      exp_upper = 1.0E3;
      exp_plus = 1.0e+2;
      exp_negative = 2.5e-5;
      huge = 1.5e300;
      tiny = 2.2250738585072014e-308;
      max = 1.7976931348623157e308;
      leading_dot = .5;
      trailing_dot = 1.;
      trailing_dot_exp = 1.e3;
      dot_exp = .5e2;
      negative = -1.5;
      negative_small = -0.001;
      million = 1000000.0;
      almost_million = 999999.5;
      seven_digits = 1234567.8;
      six_digits = 123456.7;
      small = 0.0001;
      smaller = 0.00001;
      list = [
        0.5
        (-0.25)
        10.0
      ];
    };
  };
}
