/*
 * changewatch's native inflate: libdeflate's zlib-format decompressor (what GDAL inflates TIFF tiles with), called
 * with the caller's input and output arrays, so a tile inflates straight into the shared memory of the decoded-tile
 * cache. Loaded by workers/inflate.native.ts when built (test/setup.sh, the Dockerfile); without it node:zlib
 * inflates. One decompressor per thread (N-API instance data): libdeflate's is not safe to share across threads.
 *
 *   inflate(input: Uint8Array, output: Uint8Array): number
 *     the bytes written; -1 when the output is too small; throws on corrupt data (the Adler-32 is checked).
 *   version: string (libdeflate's)
 */
#include <libdeflate.h>
#include <node_api.h>
#include <stdlib.h>

static void free_decompressor(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  libdeflate_free_decompressor((struct libdeflate_decompressor *)data);
}

static int bytes_of(napi_env env, napi_value value, void **data, size_t *length) {
  bool is_typedarray = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray) return 0;
  if (napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok) return 0;
  return type == napi_uint8_array;
}

static napi_value inflate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *input = NULL, *output = NULL;
  size_t input_length = 0, output_length = 0, written = 0;
  struct libdeflate_decompressor *decompressor = NULL;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      !bytes_of(env, argv[0], &input, &input_length) || !bytes_of(env, argv[1], &output, &output_length)) {
    napi_throw_type_error(env, NULL, "inflate(input, output): both must be Uint8Arrays");
    return NULL;
  }
  if (napi_get_instance_data(env, (void **)&decompressor) != napi_ok || decompressor == NULL) {
    napi_throw_error(env, NULL, "inflate: no decompressor for this thread");
    return NULL;
  }
  switch (libdeflate_zlib_decompress(decompressor, input, input_length, output, output_length, &written)) {
    case LIBDEFLATE_SUCCESS:
      napi_create_int64(env, (int64_t)written, &result);
      return result;
    case LIBDEFLATE_INSUFFICIENT_SPACE:
      napi_create_int32(env, -1, &result);
      return result;
    default:
      napi_throw_range_error(env, NULL, "inflate: the DEFLATE data is corrupt (libdeflate: bad data)");
      return NULL;
  }
}

NAPI_MODULE_INIT() {
  napi_value function, version;
  struct libdeflate_decompressor *decompressor = libdeflate_alloc_decompressor();
  if (decompressor == NULL) {
    napi_throw_error(env, NULL, "inflate: libdeflate could not allocate a decompressor");
    return NULL;
  }
  napi_set_instance_data(env, decompressor, free_decompressor, NULL);
  napi_create_function(env, "inflate", NAPI_AUTO_LENGTH, inflate, NULL, &function);
  napi_set_named_property(env, exports, "inflate", function);
  napi_create_string_utf8(env, LIBDEFLATE_VERSION_STRING, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}
