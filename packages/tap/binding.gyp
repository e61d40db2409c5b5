{
  "targets": [
    {
      "target_name": "knet_tap",
      "sources": ["native/tap.c", "native/offload.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lpthread"]
    }
  ]
}
