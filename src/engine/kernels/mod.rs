//! The kernels: the one f32 matrix product (portable Rust compiled per SIMD level, the same
//! bits on every CPU), its spread over threads, the level chosen at run time, the thread pool
//! with denormals flushed, and the page placement of big buffers. Used by the engine; uses
//! nothing above it.

pub mod gemm;
pub mod lanes;
pub mod matmul;
mod pack;
pub mod peak;
mod row_panels;
pub mod simd;
pub mod stagger;
pub mod threads;
mod tile;
