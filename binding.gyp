{
  "targets": [
    {
      "target_name": "llama2_native",
      "sources": ["<!@(node -e \"const fs=require('fs');console.log(fs.readdirSync('native').filter(f=>f.endsWith('.cpp')).map(f=>'native/'+f).join(' '))\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags": ["-O3", "-fopenmp", "-fno-math-errno"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fopenmp", "-fno-math-errno"],
      "ldflags": ["-fopenmp"],
      "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3"]}
    }
  ]
}
