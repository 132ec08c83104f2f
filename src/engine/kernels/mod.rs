//! The kernels: the matrix products of the dense layers (deterministic for any thread count,
//! hand-written AVX-512 for the training step's shapes), the thread pool with denormals
//! flushed, and the page placement of big buffers. Used by the engine; uses nothing above it.

pub mod matmul;
pub mod simd_gemm;
pub mod stagger;
pub mod threads;
