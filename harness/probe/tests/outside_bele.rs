//! Outside bele (no `BELE_PROBE_FILE`), probes do nothing: no allocation, no file, no output.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// Counts every allocation in this test process, so the test can see that probes make none.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn calls_are_no_ops_without_the_variable() {
    assert!(
        std::env::var_os(bele_probe::ENV).is_none(),
        "run this test outside bele"
    );
    let payload = [1u8, 2, 3, 4];
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for i in 0..1000u32 {
        bele_probe::wire("frame", &payload);
        bele_probe::host("native", &i.to_ne_bytes());
    }
    let enabled = bele_probe::enabled();
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert!(!enabled);
    assert_eq!(after - before, 0, "probes allocated outside bele");
}
