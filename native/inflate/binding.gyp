{
  "targets": [
    {
      "target_name": "inflate",
      "sources": ["inflate.c"],
      "cflags": ["-O2"],
      "libraries": ["-ldeflate"]
    }
  ]
}
