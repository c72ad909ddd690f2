;; Dot products of many rows with one query, four f32x4 accumulators at a time.
;; Assembled by scripts/build-dot-kernel.ts into dot-kernel.generated.ts; edit this file, then
;; run `node --import tsx scripts/build-dot-kernel.ts` (a test fails when the two disagree).
(module
  (memory (export "memory") 1)
  ;; out[i] = dot(rows[i], query) for i < n; each row holds `dim` f32, dim a multiple of 16.
  ;; All arguments are byte offsets into memory except n and dim.
  (func (export "dots") (param $rows i32) (param $n i32) (param $dim i32) (param $query i32) (param $out i32)
    (local $i i32) (local $row i32) (local $j i32) (local $bytes i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $sum v128)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $row (local.get $rows))
    (block $done
      (loop $each_row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0))
        (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $row_done
          (loop $each_chunk
            (br_if $row_done (i32.ge_u (local.get $j) (local.get $bytes)))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (v128.load (i32.add (local.get $row) (local.get $j)))
                         (v128.load (i32.add (local.get $query) (local.get $j))))))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (v128.load offset=16 (i32.add (local.get $row) (local.get $j)))
                         (v128.load offset=16 (i32.add (local.get $query) (local.get $j))))))
            (local.set $a2 (f32x4.add (local.get $a2)
              (f32x4.mul (v128.load offset=32 (i32.add (local.get $row) (local.get $j)))
                         (v128.load offset=32 (i32.add (local.get $query) (local.get $j))))))
            (local.set $a3 (f32x4.add (local.get $a3)
              (f32x4.mul (v128.load offset=48 (i32.add (local.get $row) (local.get $j)))
                         (v128.load offset=48 (i32.add (local.get $query) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 64)))
            (br $each_chunk)))
        (local.set $sum (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
            (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum)))))
        (local.set $row (i32.add (local.get $row) (local.get $bytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each_row))))
;; A four-lane Fletcher sum over `words` 32-bit words (a multiple of 4) from byte offset $at:
  ;; lane j adds the words at positions j mod 4. Checks snapshot files; see vector-snapshot.ts.
  (func (export "checksum") (param $at i32) (param $words i32) (result i32)
    (local $end i32) (local $a v128) (local $b v128)
    (local.set $a (v128.const i32x4 1 1 1 1))
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $words) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $a (i32x4.add (local.get $a) (v128.load (local.get $at))))
        (local.set $b (i32x4.add (local.get $b) (local.get $a)))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $each)))
    ;; fold: sum of b lanes times a golden-ratio constant, xor the sum of a lanes
    (i32.xor
      (i32.mul
        (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $b)) (i32x4.extract_lane 1 (local.get $b)))
          (i32.add (i32x4.extract_lane 2 (local.get $b)) (i32x4.extract_lane 3 (local.get $b))))
        (i32.const 0x9e3779b1))
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $a)) (i32x4.extract_lane 1 (local.get $a)))
        (i32.add (i32x4.extract_lane 2 (local.get $a)) (i32x4.extract_lane 3 (local.get $a))))))
;; Quantizes rows first..first+count-1 of f32 `dim`-vectors at $rows into int8 codes at $codes
  ;; (code = round(x * 127 / maxabs)), storing each row's scale maxabs / 127 as f32 at $scales.
  (func (export "quantize") (param $rows i32) (param $codes i32) (param $scales i32) (param $first i32) (param $count i32) (param $dim i32)
    (local $r i32) (local $end i32) (local $row i32) (local $code i32) (local $j i32) (local $bytes i32) (local $at i32)
    (local $m v128) (local $maxabs f32) (local $inv v128)
    (local.set $bytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $r (local.get $first))
    (local.set $end (i32.add (local.get $first) (local.get $count)))
    (block $done
      (loop $each_row
        (br_if $done (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $row (i32.add (local.get $rows) (i32.mul (local.get $r) (local.get $bytes))))
        (local.set $code (i32.add (local.get $codes) (i32.mul (local.get $r) (local.get $dim))))
        (local.set $m (v128.const f32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $max_done
          (loop $each_max
            (br_if $max_done (i32.ge_u (local.get $j) (local.get $bytes)))
            (local.set $m (f32x4.max (local.get $m) (f32x4.abs (v128.load (i32.add (local.get $row) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $each_max)))
        (local.set $maxabs
          (f32.max
            (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
            (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
        (f32.store (i32.add (local.get $scales) (i32.shl (local.get $r) (i32.const 2)))
          (f32.div (local.get $maxabs) (f32.const 127)))
        (local.set $inv
          (f32x4.splat (select (f32.div (f32.const 127) (local.get $maxabs)) (f32.const 0) (f32.gt (local.get $maxabs) (f32.const 0)))))
        (local.set $j (i32.const 0))
        (block $code_done
          (loop $each_code
            (br_if $code_done (i32.ge_u (local.get $j) (local.get $dim)))
            (local.set $at (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
            (v128.store (i32.add (local.get $code) (local.get $j))
              (i8x16.narrow_i16x8_s
                (i16x8.narrow_i32x4_s
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (local.get $inv)
                    (v128.load (local.get $at)))))
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (local.get $inv)
                    (v128.load offset=16 (local.get $at))))))
                (i16x8.narrow_i32x4_s
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (local.get $inv)
                    (v128.load offset=32 (local.get $at)))))
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (local.get $inv)
                    (v128.load offset=48 (local.get $at))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $each_code)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $each_row))))

  ;; out[i] = sum of codes[i][j] * query16[j] as i32, for i < n: int8 rows against an int16 query.
  (func (export "dots_i8") (param $codes i32) (param $n i32) (param $dim i32) (param $query i32) (param $out i32)
    (local $i i32) (local $code i32) (local $j i32) (local $c v128) (local $acc v128)
    (local.set $code (local.get $codes))
    (block $done
      (loop $each_row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $row_done
          (loop $each_chunk
            (br_if $row_done (i32.ge_u (local.get $j) (local.get $dim)))
            (local.set $c (v128.load (i32.add (local.get $code) (local.get $j))))
            (local.set $acc (i32x4.add (local.get $acc)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $c))
                (v128.load (i32.add (local.get $query) (i32.shl (local.get $j) (i32.const 1)))))))
            (local.set $acc (i32x4.add (local.get $acc)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $c))
                (v128.load offset=16 (i32.add (local.get $query) (i32.shl (local.get $j) (i32.const 1)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $each_chunk)))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
        (local.set $code (i32.add (local.get $code) (local.get $dim)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each_row))))
)
