{
  description = "unicode in keys and values: BMP, astral plane, combining marks, RTL, ZWJ";
  outputs =
    inputs:
    let
      snow = "☃";
    in
    {
      inventory = {
        meta.name = "ünïcødé";
        meta.description = "日本語のクラン — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🚀";
        machines = {
          "café" = {
            description = "precomposed é (U+00E9)";
          };
          "café" = {
            description = "e + combining acute (U+0065 U+0301): a different key";
          };
          "𝄞-music" = {
            tags = [
              "🎵"
              "ℵ₀"
              "عربى"
            ];
          };
          "ключ".tags = [ "значение" ];
          "👩‍👩‍👧‍👦" = { };
          "a${snow}b" = { };
        };
        instances."ñ".roles."rôle".settings = {
          "ключ" = "значение";
          emoji_zwj = "👨‍💻";
          flag = "🇩🇪";
          combining = "ẹ̄̃ ǻ";
          indented = ''
            ↳ first
              ↳ second 😀
          '';
          interpolated = "${snow}${snow} ${"𝟘𝟙"}";
          bom_and_nbsp = "﻿  ​";
          max_codepoint = "􏿿";
        };
      };
    };
}
