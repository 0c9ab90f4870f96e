{
  description = "integers: zero, i64 edges, unary minus, leading zeros";
  outputs = inputs: {
    inventory.machines.m.installedAt = 1722470400;
    inventory.instances.ints.roles.r.settings = {
      zero = 0;
      one = 1;
      leading_zeros = 007;
      minus_one = -1;
      minus_spaced = - 5;
      double_minus = -(-3);
      minus_zero = -0;
      i32_max = 2147483647;
      i32_overflow = 2147483648;
      u32_max = 4294967295;
      two_pow_53 = 9007199254740992;
      two_pow_53_plus_one = 9007199254740993;
      i64_max = 9223372036854775807;
      # The literal 9223372036854775808 is an error in Nix 2.8, so i64 min cannot be written
      # with unary minus; i64 min + 1 can.
      i64_min_plus_one = -9223372036854775807;
      list = [
        1
        (-2)
        3
        (- 4)
      ];
      in_attrs = {
        a = -10;
        b = 10;
      };
    };
  };
}
