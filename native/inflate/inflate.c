/*
 * changewatch's native inflate: libdeflate's zlib-format decompressor (what GDAL inflates TIFF tiles with), called
 * with the caller's input and output arrays, so a tile inflates straight into the shared memory of the decoded-tile
 * cache. Loaded by workers/inflate.native.ts when built (test/setup.sh, the Dockerfile); without it node:zlib
 * inflates. One decompressor, and one compressor per level, per thread (N-API instance data): libdeflate's are not
 * safe to share across threads.
 *
 *   inflate(input: Uint8Array, output: Uint8Array): number
 *     the bytes written; -1 when the output is too small; throws on corrupt data (the Adler-32 is checked).
 *   undoPredictor(block: Uint8Array, predictor, width, samples, bytesPerSample, littleEndian: boolean): boolean
 *     undoes a TIFF predictor in place, as workers/predictor.ts does, for the layouts it takes (a little-endian file
 *     on a little-endian host, the block aligned: predictor 2 on 8/16/32-bit samples, predictor 3 on 32-bit ones);
 *     false for others, which workers/predictor.ts undoes. Called right after the inflate, the block still cached.
 *   decodeLzw(input: Uint8Array, output: Uint8Array): number
 *     TIFF LZW, decoded as workers/lzw.ts decodes it (same codes accepted, same bytes): the bytes written; -1 when
 *     the output is too small (lzw.ts then decodes, growing its output); throws on a code beyond the table.
 *   copySamples(source, sourceStart, sourceRowBytes, step, target, targetStart, targetRowBytes, sampleBytes,
 *               count, rows): void
 *     copies `rows` rows of `count` samples of `sampleBytes` bytes, one every `step` bytes of a source row, to
 *     consecutive samples of a target row: a decoded tile's part of a window (workers/tile.window.ts), with plain
 *     memcpy where V8 copies from shared memory word by word. Throws when a row would reach outside an array.
 *   deflate(input: Uint8Array, level: number): Uint8Array
 *     a zlib stream of the input at libdeflate's level (0-12), exactly as long as it is: the COG tiles the workers
 *     write (workers/deflate.ts), twice node:zlib's speed on NDVI tiles at level 6 for the same size.
 *   version: string (libdeflate's)
 */
#include <libdeflate.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define KEPT_SCRATCH_BYTES ((size_t)4 << 20)

/* One thread's libdeflate state: neither its decompressor nor its compressors may be shared across threads. */
struct codecs {
  struct libdeflate_decompressor *decompressor;
  /* Allocated on first use, one per level 0-12. */
  struct libdeflate_compressor *compressors[13];
  /* Room for the largest stream compressed so far; the result is copied out of it at its exact length. */
  uint8_t *scratch;
  size_t scratch_length;
};

static void free_codecs(napi_env env, void *data, void *hint) {
  struct codecs *codecs = (struct codecs *)data;
  (void)env;
  (void)hint;
  libdeflate_free_decompressor(codecs->decompressor);
  for (int level = 0; level < 13; level++) libdeflate_free_compressor(codecs->compressors[level]);
  free(codecs->scratch);
  free(codecs);
}

static struct codecs *codecs_of(napi_env env) {
  struct codecs *codecs = NULL;
  if (napi_get_instance_data(env, (void **)&codecs) != napi_ok) return NULL;
  return codecs;
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
  struct codecs *codecs = codecs_of(env);
  struct libdeflate_decompressor *decompressor = codecs ? codecs->decompressor : NULL;
  napi_value result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      !bytes_of(env, argv[0], &input, &input_length) || !bytes_of(env, argv[1], &output, &output_length)) {
    napi_throw_type_error(env, NULL, "inflate(input, output): both must be Uint8Arrays");
    return NULL;
  }
  if (decompressor == NULL) {
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

/* Predictor 2, one row of 16-bit samples, one per pixel: running sums eight lanes at a time (three shifted adds),
 * plus the sum carried in from the previous eight. */
static void sum_row_u16(uint16_t *row, size_t count) {
  size_t i = 0;
  uint16_t sum = 0;
#if defined(__SSE2__)
  __m128i carried = _mm_setzero_si128();
  for (; i + 8 <= count; i += 8) {
    __m128i v = _mm_loadu_si128((const __m128i *)(row + i));
    v = _mm_add_epi16(v, _mm_slli_si128(v, 2));
    v = _mm_add_epi16(v, _mm_slli_si128(v, 4));
    v = _mm_add_epi16(v, _mm_slli_si128(v, 8));
    _mm_storeu_si128((__m128i *)(row + i), _mm_add_epi16(v, carried));
    /* The eight's own sum (lane 7) in every lane, added to the carry: one add on the loop's critical path. */
    __m128i total = _mm_shufflehi_epi16(_mm_unpackhi_epi64(v, v), 0xff);
    carried = _mm_add_epi16(carried, _mm_unpackhi_epi64(total, total));
  }
  if (i > 0) sum = row[i - 1];
#endif
  for (; i < count; i++) row[i] = sum = (uint16_t)(sum + row[i]);
}

/* Predictor 3's byte differencing undone along one row of bytes (one sample per pixel: stride 1), sixteen lanes at
 * a time as sum_row_u16. */
static void sum_row_u8(uint8_t *row, size_t count) {
  size_t i = 0;
  uint8_t sum = 0;
#if defined(__SSE2__)
  __m128i carried = _mm_setzero_si128();
  for (; i + 16 <= count; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(row + i));
    v = _mm_add_epi8(v, _mm_slli_si128(v, 1));
    v = _mm_add_epi8(v, _mm_slli_si128(v, 2));
    v = _mm_add_epi8(v, _mm_slli_si128(v, 4));
    v = _mm_add_epi8(v, _mm_slli_si128(v, 8));
    _mm_storeu_si128((__m128i *)(row + i), _mm_add_epi8(v, carried));
    /* The sixteen's own sum (byte 15) in every lane, added to the carry as in sum_row_u16. */
    __m128i total = _mm_unpackhi_epi8(v, v);
    total = _mm_shufflehi_epi16(total, 0xff);
    carried = _mm_add_epi8(carried, _mm_unpackhi_epi64(total, total));
  }
  if (i > 0) sum = row[i - 1];
#endif
  for (; i < count; i++) row[i] = sum = (uint8_t)(sum + row[i]);
}

/* Predictor 2 on little-endian samples of 1, 2 or 4 bytes, `samples` interleaved: each sample plus the one a pixel
 * before it, wrapping; a short last row (a strip's end) too. */
static void undo_horizontal(uint8_t *block, size_t length, size_t width, size_t samples, size_t size) {
  size_t row_values = width * samples, values = length / size;
  for (size_t start = 0; start < values; start += row_values) {
    size_t end = start + row_values < values ? start + row_values : values;
    if (size == 2 && samples == 1) {
      sum_row_u16((uint16_t *)block + start, end - start);
    } else if (size == 2) {
      uint16_t *v = (uint16_t *)block;
      for (size_t i = start + samples; i < end; i++) v[i] = (uint16_t)(v[i] + v[i - samples]);
    } else if (size == 4) {
      uint32_t *v = (uint32_t *)block;
      for (size_t i = start + samples; i < end; i++) v[i] = v[i] + v[i - samples];
    } else {
      for (size_t i = start + samples; i < end; i++) block[i] = (uint8_t)(block[i] + block[i - samples]);
    }
  }
}

/* Predictor 3 on 32-bit samples of a little-endian file: per whole row, the byte differences undone (stride
 * `samples`), then the four planes (most significant first) gathered into little-endian samples. */
static int undo_floating_point(uint8_t *block, size_t length, size_t width, size_t samples) {
  size_t values = width * samples, row_bytes = values * 4;
  uint8_t *row = malloc(row_bytes);
  if (row == NULL) return 0;
  for (size_t base = 0; row_bytes > 0 && base + row_bytes <= length; base += row_bytes) {
    memcpy(row, block + base, row_bytes);
    if (samples == 1) sum_row_u8(row, row_bytes);
    else
      for (size_t j = samples; j < row_bytes; j++) row[j] = (uint8_t)(row[j] + row[j - samples]);
    uint8_t *out = block + base;
    const uint8_t *p0 = row, *p1 = row + values, *p2 = row + 2 * values, *p3 = row + 3 * values;
    size_t i = 0;
#if defined(__SSE2__)
    /* Sixteen samples at a time: the planes' bytes interleaved, least significant (plane 3) first. */
    for (; i + 16 <= values; i += 16) {
      __m128i b0 = _mm_loadu_si128((const __m128i *)(p0 + i)), b1 = _mm_loadu_si128((const __m128i *)(p1 + i));
      __m128i b2 = _mm_loadu_si128((const __m128i *)(p2 + i)), b3 = _mm_loadu_si128((const __m128i *)(p3 + i));
      __m128i low32 = _mm_unpacklo_epi8(b3, b2), low10 = _mm_unpacklo_epi8(b1, b0);
      __m128i high32 = _mm_unpackhi_epi8(b3, b2), high10 = _mm_unpackhi_epi8(b1, b0);
      _mm_storeu_si128((__m128i *)(out + 4 * i), _mm_unpacklo_epi16(low32, low10));
      _mm_storeu_si128((__m128i *)(out + 4 * i + 16), _mm_unpackhi_epi16(low32, low10));
      _mm_storeu_si128((__m128i *)(out + 4 * i + 32), _mm_unpacklo_epi16(high32, high10));
      _mm_storeu_si128((__m128i *)(out + 4 * i + 48), _mm_unpackhi_epi16(high32, high10));
    }
#endif
    for (; i < values; i++) {
      out[4 * i] = p3[i];
      out[4 * i + 1] = p2[i];
      out[4 * i + 2] = p1[i];
      out[4 * i + 3] = p0[i];
    }
  }
  free(row);
  return 1;
}

static int host_little_endian(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

static napi_value undo_predictor(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], result;
  bool little_endian = false;
  void *data = NULL;
  size_t length = 0;
  uint32_t numbers[4] = {0, 0, 0, 0};
  int done = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 ||
      !bytes_of(env, argv[0], &data, &length) || napi_get_value_bool(env, argv[5], &little_endian) != napi_ok) {
    napi_throw_type_error(env, NULL, "undoPredictor(block, predictor, width, samples, bytesPerSample, littleEndian)");
    return NULL;
  }
  for (int k = 0; k < 4; k++) {
    if (napi_get_value_uint32(env, argv[k + 1], &numbers[k]) != napi_ok) {
      napi_throw_type_error(env, NULL, "undoPredictor: predictor, width, samples and bytesPerSample are numbers");
      return NULL;
    }
  }
  uint32_t predictor = numbers[0], width = numbers[1], samples = numbers[2], size = numbers[3];
  int aligned = ((uintptr_t)data % (size ? size : 1)) == 0;
  if (host_little_endian() && little_endian && aligned && width > 0 && samples > 0) {
    if (predictor == 2 && (size == 1 || size == 2 || size == 4)) {
      undo_horizontal(data, length, width, samples, size);
      done = 1;
    } else if (predictor == 3 && size == 4) {
      done = undo_floating_point(data, length, width, samples);
    }
  }
  napi_get_boolean(env, done, &result);
  return result;
}

/* TIFF LZW (TIFF 6.0 section 13), the same algorithm as workers/lzw.ts: 9- to 12-bit codes MSB first, the width
 * growing one code early as libtiff writes it; each table entry is where its string already lies in the output and
 * its length, so a code's string is one copy from earlier output. Every write is checked against the output's
 * end and every code against the table (codes are at most 12 bits: below 4096 entries). */
#define LZW_CLEAR 256
#define LZW_END 257
#define LZW_FIRST 258
#define LZW_CODES 4096

/* Bytes written; -1 when `capacity` is too small; -2 on a code beyond the table. */
static int64_t lzw_decode(const uint8_t *in, size_t in_length, uint8_t *out, size_t capacity) {
  uint32_t starts[LZW_CODES], lengths[LZW_CODES];
  uint32_t bits = 0, width = 9, next = LZW_FIRST, mask = 511;
  int bit_count = 0, have_previous = 0;
  size_t at = 0, position = 0, previous_start = 0, previous_length = 0;
  for (;;) {
    while (bit_count < (int)width) {
      if (at >= in_length) return (int64_t)position; /* a code cut short ends the data, as EOI would */
      bits = (bits << 8) | in[at++];
      bit_count += 8;
    }
    bit_count -= (int)width;
    uint32_t code = (bits >> bit_count) & mask;
    size_t size = 1;
    if (code < LZW_CLEAR) {
      if (position >= capacity) return -1;
      out[position] = (uint8_t)code;
    } else if (code >= LZW_FIRST && code < next) {
      size = lengths[code];
      if (size <= 8 && position + 8 <= capacity) {
        /* Most strings: one 8-byte move (the bytes past the string are the next strings' to overwrite). */
        uint64_t word;
        memcpy(&word, out + starts[code], 8);
        memcpy(out + position, &word, 8);
      } else if (position + size > capacity) {
        return -1;
      } else {
        memcpy(out + position, out + starts[code], size);
      }
    } else if (code == next && have_previous) {
      /* KwKwK: the previous string (just before `position`) plus its own first byte. */
      size = previous_length + 1;
      if (position + size > capacity) return -1;
      if (size <= 8 && position + 8 <= capacity) {
        uint64_t word;
        memcpy(&word, out + previous_start, 8);
        memcpy(out + position, &word, 8);
      } else {
        memcpy(out + position, out + previous_start, previous_length);
      }
      out[position + previous_length] = out[previous_start];
    } else if (code == LZW_CLEAR) {
      width = 9;
      mask = 511;
      next = LZW_FIRST;
      have_previous = 0;
      continue;
    } else if (code == LZW_END) {
      return (int64_t)position;
    } else {
      return -2;
    }
    if (have_previous && next < LZW_CODES) {
      starts[next] = (uint32_t)previous_start;
      lengths[next] = (uint32_t)previous_length + 1;
      next++;
      if (next >= mask && width < 12) {
        width++;
        mask = (1u << width) - 1;
      }
    }
    have_previous = 1;
    previous_start = position;
    previous_length = size;
    position += size;
  }
}

static napi_value decode_lzw(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  void *input = NULL, *output = NULL;
  size_t input_length = 0, output_length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      !bytes_of(env, argv[0], &input, &input_length) || !bytes_of(env, argv[1], &output, &output_length)) {
    napi_throw_type_error(env, NULL, "decodeLzw(input, output): both must be Uint8Arrays");
    return NULL;
  }
  if (output_length > UINT32_MAX) {
    napi_throw_range_error(env, NULL, "decodeLzw: the output is over 4 GiB");
    return NULL;
  }
  int64_t written = lzw_decode(input, input_length, output, output_length);
  if (written == -2) {
    napi_throw_range_error(env, NULL, "decodeLzw: a code is beyond the table: the data is corrupt");
    return NULL;
  }
  napi_create_int64(env, written, &result);
  return result;
}

static napi_value copy_samples(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  void *source = NULL, *target = NULL;
  size_t source_length = 0, target_length = 0;
  int64_t n[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 10 ||
      !bytes_of(env, argv[0], &source, &source_length) || !bytes_of(env, argv[4], &target, &target_length)) {
    napi_throw_type_error(env, NULL, "copySamples: source and target must be Uint8Arrays");
    return NULL;
  }
  for (int k = 1; k < 10; k++) {
    if (k == 4) continue;
    /* At most 2^30 each, so the bounds sums below (two products and a term) stay far inside int64. */
    if (napi_get_value_int64(env, argv[k], &n[k]) != napi_ok || n[k] < 0 || n[k] > ((int64_t)1 << 30)) {
      napi_throw_range_error(env, NULL, "copySamples: offsets, strides and counts are numbers from 0 to 2^30");
      return NULL;
    }
  }
  int64_t source_start = n[1], source_row = n[2], step = n[3], target_start = n[5], target_row = n[6];
  int64_t size = n[7], count = n[8], rows = n[9];
  if (rows == 0 || count == 0) return NULL;
  if (size < 1 || step < size ||
      source_start + (rows - 1) * source_row + (count - 1) * step + size > (int64_t)source_length ||
      target_start + (rows - 1) * target_row + count * size > (int64_t)target_length) {
    napi_throw_range_error(env, NULL, "copySamples: a row reaches outside the source or the target");
    return NULL;
  }
  const uint8_t *from = (const uint8_t *)source + source_start;
  uint8_t *to = (uint8_t *)target + target_start;
  for (int64_t r = 0; r < rows; r++, from += source_row, to += target_row) {
    if (step == size) {
      memcpy(to, from, (size_t)(count * size));
    } else if (size == 4) {
      for (int64_t x = 0; x < count; x++) memcpy(to + 4 * x, from + x * step, 4);
    } else if (size == 2) {
      for (int64_t x = 0; x < count; x++) memcpy(to + 2 * x, from + x * step, 2);
    } else {
      for (int64_t x = 0; x < count; x++) memcpy(to + x * size, from + x * step, (size_t)size);
    }
  }
  return NULL;
}

/* deflate(input, level): a zlib stream of the input at libdeflate's level 0-12, in a new Uint8Array. */
static napi_value deflate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], buffer, result;
  void *input = NULL, *data = NULL;
  size_t input_length = 0, bound = 0, written = 0;
  double requested = -1;
  int level = -1;
  struct codecs *codecs = codecs_of(env);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      !bytes_of(env, argv[0], &input, &input_length) || napi_get_value_double(env, argv[1], &requested) != napi_ok ||
      !(requested >= 0 && requested <= 12) || requested != (double)(int)requested) {
    napi_throw_type_error(env, NULL, "deflate(input, level): a Uint8Array and a level from 0 to 12");
    return NULL;
  }
  if (codecs == NULL) {
    napi_throw_error(env, NULL, "deflate: no codecs for this thread");
    return NULL;
  }
  level = (int)requested;
  if (codecs->compressors[level] == NULL) codecs->compressors[level] = libdeflate_alloc_compressor(level);
  if (codecs->compressors[level] == NULL) {
    napi_throw_error(env, NULL, "deflate: libdeflate could not allocate a compressor");
    return NULL;
  }
  bound = libdeflate_zlib_compress_bound(codecs->compressors[level], input_length);
  if (bound > codecs->scratch_length) {
    uint8_t *grown = realloc(codecs->scratch, bound);
    if (grown == NULL) {
      napi_throw_error(env, NULL, "deflate: out of memory");
      return NULL;
    }
    codecs->scratch = grown;
    codecs->scratch_length = bound;
  }
  written = libdeflate_zlib_compress(codecs->compressors[level], input, input_length, codecs->scratch, bound);
  if (written == 0) {
    napi_throw_error(env, NULL, "deflate: libdeflate found its bound too small");
    return NULL;
  }
  if (napi_create_arraybuffer(env, written, &data, &buffer) == napi_ok) memcpy(data, codecs->scratch, written);
  else data = NULL;
  /* A 512² tile needs well under this; a larger input's stream is not kept for the rest of the thread's life. */
  if (codecs->scratch_length > KEPT_SCRATCH_BYTES) {
    free(codecs->scratch);
    codecs->scratch = NULL;
    codecs->scratch_length = 0;
  }
  if (data == NULL || napi_create_typedarray(env, napi_uint8_array, written, buffer, 0, &result) != napi_ok) {
    napi_throw_error(env, NULL, "deflate: could not allocate the stream's array");
    return NULL;
  }
  return result;
}

NAPI_MODULE_INIT() {
  napi_value function, version;
  struct codecs *codecs = calloc(1, sizeof(struct codecs));
  if (codecs == NULL || (codecs->decompressor = libdeflate_alloc_decompressor()) == NULL) {
    free(codecs);
    napi_throw_error(env, NULL, "inflate: libdeflate could not allocate a decompressor");
    return NULL;
  }
  napi_set_instance_data(env, codecs, free_codecs, NULL);
  napi_create_function(env, "deflate", NAPI_AUTO_LENGTH, deflate, NULL, &function);
  napi_set_named_property(env, exports, "deflate", function);
  napi_create_function(env, "inflate", NAPI_AUTO_LENGTH, inflate, NULL, &function);
  napi_set_named_property(env, exports, "inflate", function);
  napi_create_function(env, "undoPredictor", NAPI_AUTO_LENGTH, undo_predictor, NULL, &function);
  napi_set_named_property(env, exports, "undoPredictor", function);
  napi_create_function(env, "decodeLzw", NAPI_AUTO_LENGTH, decode_lzw, NULL, &function);
  napi_set_named_property(env, exports, "decodeLzw", function);
  napi_create_function(env, "copySamples", NAPI_AUTO_LENGTH, copy_samples, NULL, &function);
  napi_set_named_property(env, exports, "copySamples", function);
  napi_create_string_utf8(env, LIBDEFLATE_VERSION_STRING, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}
