;; {{name}}: the smallest FunLess function, in WebAssembly text. It answers with its input: the
;; host writes the JSON arguments into memory, the function hands the same bytes back as its result.
;; Build: fl fn build .   Deploy: fl fn create {{name}} .   Run: fl fn invoke {{name}} -a hello=world
(module
  (import "fl_imps" "__get_input_data" (func $get_input (param i32)))
  (import "fl_imps" "__insert_response" (func $insert_response (param i32 i32)))
  (import "fl_imps" "__console_log" (func $log (param i32 i32)))

  ;; One page (64 KiB) to start with; __invoke grows it when the input does not fit.
  (memory (export "memory") 1)
  (data (i32.const 0) "echo")

  ;; Called once per invocation with the input's length in bytes; returns 0 for success.
  (func (export "__invoke") (param $len i32) (result i32)
    (local $pages i32)
    ;; The input goes at offset 1024; make sure memory reaches 1024 + len.
    (local.set $pages
      (i32.sub
        (i32.div_u (i32.add (i32.add (local.get $len) (i32.const 1024)) (i32.const 65535)) (i32.const 65536))
        (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then (drop (memory.grow (local.get $pages)))))
    (call $get_input (i32.const 1024))
    (call $log (i32.const 0) (i32.const 4))
    (call $insert_response (i32.const 1024) (local.get $len))
    (i32.const 0))
)
