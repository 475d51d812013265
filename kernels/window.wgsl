// window.wgsl — the parameter block of the window kernels (conv2d.wgsl, max_pool_indices.wgsl):
// input [batch, channels, height, width], weight [out_channels, channels, kh, kw], output
// [batch, out_channels, out_h, out_w]; padding counts the zeros (or −∞) before each axis; the offsets
// are where the first input (a), the second (b) and the output (c) start in their buffers.
struct Params {
  batch: u32,
  channels: u32,
  height: u32,
  width: u32,
  out_channels: u32,
  kh: u32,
  kw: u32,
  out_h: u32,
  out_w: u32,
  a_offset: u32,
  b_offset: u32,
  c_offset: u32,
  stride: vec2<i32>,
  padding: vec2<i32>,
  dilation: vec2<i32>,
  pad: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: Params;
