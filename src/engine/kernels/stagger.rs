//! Large zeroed buffers that start at chosen offsets within a 4 KiB page.
//!
//! Why: Adam streams four arrays of the same length (parameters, gradient, `m`, `v`) and loads
//! and stores element `i` of each in the same iteration. Every fresh allocation of a few MB comes
//! from its own `mmap` and so starts at the same offset within a page (16 bytes with glibc). A
//! CPU checks whether a load depends on an earlier store by comparing only the low 12 address
//! bits first, so with all four arrays at one offset the loads keep waiting on stores to the
//! *other* arrays ("4K aliasing"). Measured on the build machine (one thread, an Adam step over
//! the teacher's 794 510 parameters): 445 µs with the four arrays at one offset, 300 µs with
//! them 256 bytes or more apart. Placing the gradient, `m` and `v` a quarter page apart from
//! each other and from a fresh allocation (the parameters) removes the stall without touching
//! the arithmetic: the results are bit for bit the same.

use crate::Float;
use std::ops::{Deref, DerefMut};

/// Bytes per page, the span the CPU's quick address comparison sees.
const PAGE: usize = 4096;

/// How many distinct placements there are: slot `s` starts at `s·PAGE/SLOTS` bytes into a page.
pub const SLOTS: usize = 4;

/// `len` values starting at a fixed offset within a page; dereferences to a slice.
#[derive(Debug)]
pub struct Staggered<F> {
    storage: Vec<F>,
    start: usize,
    len: usize,
    slot: usize,
}

impl<F: Float> Staggered<F> {
    /// `len` zeros whose first element lies `slot·1024` bytes into a page (`slot` taken modulo
    /// [`SLOTS`]). Slot 0 is where a fresh allocation from `mmap` starts anyway, so give the
    /// other buffers of a loop slots 1, 2 and 3.
    pub fn zeros(len: usize, slot: usize) -> Self {
        let size = std::mem::size_of::<F>();
        let storage = vec![F::zero(); len + PAGE / size];
        let start = start_for::<F>(storage.as_ptr() as usize, slot);
        Self {
            storage,
            start,
            len,
            slot,
        }
    }
}

/// Where, from an allocation starting at `addr`, a buffer of `F` must start to lie in `slot`.
fn start_for<F>(addr: usize, slot: usize) -> usize {
    let here = addr % PAGE;
    let wanted = (slot % SLOTS) * (PAGE / SLOTS);
    // `here` is a multiple of the element size (the allocation is aligned for F), and so is
    // `wanted`, so the shift is a whole number of elements below one page.
    (wanted + PAGE - here) % PAGE / std::mem::size_of::<F>()
}

/// A copy placed in the same slot (a plain copy of the storage would land wherever the
/// allocator puts it, and keep the old start).
impl<F: Clone> Clone for Staggered<F> {
    fn clone(&self) -> Self {
        let mut storage = Vec::with_capacity(self.storage.len());
        let start = start_for::<F>(storage.as_ptr() as usize, self.slot);
        // padding before the slot: any value will do; the storage is never empty
        storage.resize(start, self.storage[0].clone());
        storage.extend_from_slice(&self.storage[self.start..self.start + self.len]);
        storage.resize(self.storage.len(), self.storage[0].clone());
        Self {
            storage,
            start,
            len: self.len,
            slot: self.slot,
        }
    }
}

impl<F> Deref for Staggered<F> {
    type Target = [F];
    fn deref(&self) -> &[F] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl<F> DerefMut for Staggered<F> {
    fn deref_mut(&mut self) -> &mut [F] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_the_slot_offset_and_holds_len_zeros() {
        for slot in 0..6 {
            for len in [0, 1, 1000, 794_510] {
                let b = Staggered::<f32>::zeros(len, slot);
                assert_eq!(b.len(), len);
                assert!(b.iter().all(|&x| x == 0.0));
                if len > 0 {
                    // f32 allocations are 4-byte aligned, so the slot offset is always reachable.
                    assert_eq!(
                        b.as_ptr() as usize % PAGE,
                        (slot % SLOTS) * 1024,
                        "slot {slot}"
                    );
                }
            }
        }
        let d = Staggered::<f64>::zeros(10, 3);
        assert_eq!(d.as_ptr() as usize % PAGE, 3072);
    }

    #[test]
    fn writes_land_in_the_visible_slice() {
        let mut b = Staggered::<f64>::zeros(5, 1);
        b.copy_from_slice(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(&b[..], &[1.0, 2.0, 3.0, 4.0, 5.0]);
        let c = b.clone();
        assert_eq!(&c[..], &b[..]);
        assert_eq!(c.as_ptr() as usize % PAGE, 1024, "a clone keeps its slot");
    }
}
