# The native CPU backend (src/backend/native): one Node-API addon, webgrad_native.node.
# gemm_avx2.cc is the only file built with -mavx2 -mfma (a static library of its own, x64 only): the
# rest must run on any x86-64 CPU, and gemm.cc calls the AVX2 kernel only after a run-time check.
# -fno-trapping-math (nothing here reads floating-point exception flags) lets the compiler turn the
# selects of vector_math.h and the NaN-aware comparisons into vector blends.
{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
    "cflags": ["-O3", "-fPIC", "-fno-math-errno", "-fno-trapping-math"],
    "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fno-math-errno", "-fno-trapping-math"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "GCC_OPTIMIZATION_LEVEL": "3",
      "OTHER_CFLAGS": ["-fno-math-errno", "-fno-trapping-math"],
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    },
    "msvs_settings": {
      "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] }
    }
  },
  "targets": [
    {
      "target_name": "webgrad_native",
      "sources": [
        "src/addon.cc",
        "src/elementwise.cc",
        "src/reduce.cc",
        "src/indexing.cc",
        "src/optimizer.cc",
        "src/conv.cc",
        "src/thread_pool.cc",
        "src/gemm.cc",
        "src/gemm_generic.cc",
        "src/stderr_capture.cc"
      ],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["gemm_avx2"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "gemm_avx2",
          "type": "static_library",
          "sources": ["src/gemm_avx2.cc"],
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] },
          "msvs_settings": { "VCCLCompilerTool": { "EnableEnhancedInstructionSet": "5" } }
        }
      ]
    }]
  ]
}
