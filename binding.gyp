{
  "variables": {
    "llama2_portable%": "<!(node -p \"process.env.LLAMA2_PORTABLE === '1' ? 1 : 0\")",
    "llama2_openmp%": "<!(node -p \"process.env.LLAMA2_OPENMP === '1' ? 1 : 0\")",
    "llama2_native_dir%": "native"
  },
  "targets": [
    {
      "target_name": "llama2_native",
      "sources": ["<!@(node -p \"const fs=require('fs'),p=require('path'),d=process.argv[1];fs.readdirSync(d).filter(f=>f.endsWith('.cpp')).map(f=>p.join(d,f).split(p.sep).join('/')).join(' ')\" <(llama2_native_dir))"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<(llama2_native_dir)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags": ["-O3", "-fno-math-errno", "-fopenmp-simd"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-fopenmp-simd"],
      "ldflags": ["-pthread"],
      "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
                         "MACOSX_DEPLOYMENT_TARGET": "11.0",
                         "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-fno-math-errno", "-fopenmp-simd"]},
      "conditions": [
        ["llama2_portable==1", {
          # LLAMA2_PORTABLE, and immintrin.h / x86intrin.h made empty (their include guards, GCC and
          # clang): any x86 intrinsic outside an #if LLAMA2_X86 fails to compile, as it would on arm64.
          "defines": ["LLAMA2_PORTABLE",
                      "_IMMINTRIN_H_INCLUDED", "_X86INTRIN_H_INCLUDED", "__IMMINTRIN_H", "__X86INTRIN_H"]
        }],
        ["llama2_openmp==1 and llama2_portable==0", {
          "defines": ["LLAMA2_OPENMP"],
          "cflags": ["-fopenmp"], "cflags_cc": ["-fopenmp"], "ldflags": ["-fopenmp"]
        }]
      ]
    }
  ]
}
