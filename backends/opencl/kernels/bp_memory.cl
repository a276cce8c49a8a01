/* bp_memory.cl - byte-level helpers for the plugin's memory entries. */

/* Repeats the psize-byte pattern (little-endian in `pattern`) over `size`
 * bytes from byte `offset`; for offsets clEnqueueFillBuffer cannot take. */
__kernel void bp_fill_bytes(__global uchar *dst, ulong offset, ulong size, ulong pattern,
                            uint psize) {
  for (ulong i = get_global_id(0); i < size; i += get_global_size(0))
    dst[offset + i] = (uchar)(pattern >> (8u * (uint)(i % psize)));
}
