//! The engine: the math an educator reads beside `docs/MATH.md`, and nothing else. The float
//! trait, seeded random streams, the dense layer, ReLU, the losses, the network and Adam, each
//! forward and backward beside its formula, with the products and their threads in [`kernels`].
//! It uses nothing of the crate but [`crate::Error`]; every other layer is built on it.

pub mod activation;
pub mod adam;
pub mod dense;
pub mod exp;
pub mod float;
pub mod kernels;
pub mod loss;
pub mod mlp;
pub mod rng;
