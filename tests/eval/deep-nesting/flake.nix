{
  description = "deep nesting: 30 levels of attrsets, dotted paths, lists and lets";
  outputs = inputs: {
    inventory.instances.deep.roles.r.settings = {
      nested = { l1 = { l2 = { l3 = { l4 = { l5 = { l6 = { l7 = { l8 = { l9 = { l10 = { l11 = { l12 = { l13 = { l14 = { l15 = { l16 = { l17 = { l18 = { l19 = { l20 = { l21 = { l22 = { l23 = { l24 = { l25 = { l26 = { l27 = { l28 = { l29 = { l30 = "bottom"; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; }; };
      d1.d2.d3.d4.d5.d6.d7.d8.d9.d10.d11.d12.d13.d14.d15.d16.d17.d18.d19.d20.d21.d22.d23.d24.d25.d26.d27.d28.d29.d30 = "dotted bottom";
      lists = [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ [ "deepest" ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ] ];
      nested_lets = let v0 = "0"; in let v1 = "${v0}.1"; in let v2 = "${v1}.2"; in let v3 = "${v2}.3"; in let v4 = "${v3}.4"; in let v5 = "${v4}.5"; in let v6 = "${v5}.6"; in let v7 = "${v6}.7"; in let v8 = "${v7}.8"; in let v9 = "${v8}.9"; in let v10 = "${v9}.10"; in let v11 = "${v10}.11"; in let v12 = "${v11}.12"; in let v13 = "${v12}.13"; in let v14 = "${v13}.14"; in let v15 = "${v14}.15"; in let v16 = "${v15}.16"; in let v17 = "${v16}.17"; in let v18 = "${v17}.18"; in let v19 = "${v18}.19"; in let v20 = "${v19}.20"; in let v21 = "${v20}.21"; in let v22 = "${v21}.22"; in let v23 = "${v22}.23"; in let v24 = "${v23}.24"; in let v25 = "${v24}.25"; in let v26 = "${v25}.26"; in let v27 = "${v26}.27"; in let v28 = "${v27}.28"; in let v29 = "${v28}.29"; in let v30 = "${v29}.30"; in v30;
      mixed = [ { a = [ { b = [ { c = [ { d = [ { e = [ { f = "mixed bottom"; } ]; } ]; } ]; } ]; } ]; } ];
    };
  };
}
