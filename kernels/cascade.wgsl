// cascade.wgsl — shared by reduce, softmax and squared_error_sum (included, not compiled alone): a
// cascaded sum of a lane's serial run. A plain running sum loses about n ulps over n additions
// (0.24 % over 1e6 elements); here level 0 adds 16 values, level 1 adds 16 level-0 sums, and so on
// up to the total, so no partial takes more than 16 additions before 16⁵ values (a relative error
// of ~1e-7 even then), in registers. (Kahan's compensation would serve as well, but lavapipe's
// compiler folds its (t − s) − y away.)
struct Cascade {
  levels: vec4<f32>,
  total: f32,
  count: u32,
}

fn cascade_add(s: ptr<function, Cascade>, value: f32) {
  (*s).levels.x += value;
  (*s).count++;
  let c = (*s).count;
  if ((c & 0xfu) != 0u) { return; }
  (*s).levels.y += (*s).levels.x;
  (*s).levels.x = 0.0;
  if ((c & 0xffu) != 0u) { return; }
  (*s).levels.z += (*s).levels.y;
  (*s).levels.y = 0.0;
  if ((c & 0xfffu) != 0u) { return; }
  (*s).levels.w += (*s).levels.z;
  (*s).levels.z = 0.0;
  if ((c & 0xffffu) != 0u) { return; }
  (*s).total += (*s).levels.w;
  (*s).levels.w = 0.0;
}

fn cascade_total(s: Cascade) -> f32 {
  return (((s.levels.x + s.levels.y) + s.levels.z) + s.levels.w) + s.total;
}
