//! # kd-mlp
//!
//! A multilayer-perceptron engine written from scratch (ndarray for storage and GEMM, rayon for
//! threads, no ML framework) that trains teachers, ensembles and students on IDX image files, to
//! reproduce and extend the study "hard labels versus knowledge distillation under limited compute"
//! on MNIST. The derivations behind every formula are in `docs/MATH.md`.
//!
//! ## Map of the layers
//!
//! The folders are the layers; each uses only those listed before it (the bird's-eye view, the
//! invariants of each folder and the cross-cutting rules are in `ARCHITECTURE.md`).
//!
//! | layer | what it holds |
//! |---|---|
//! | [`engine`] | the math: [`Float`], dense, ReLU, the losses (softmax + cross-entropy, distillation), the network, Adam, seeded streams; [`engine::kernels`]: the products, their threads, the SIMD code |
//! | [`data`] | the IDX format, the data set, finding and loading a folder's four files (any class count), `inspect`, the train/validation split, batches |
//! | [`train`] | the training step and loop with early stopping, evaluation, teachers and soft targets, Ctrl-C |
//! | [`persist`] | safetensors checkpoints, atomic and durable writes, the results-folder lock |
//! | [`audit`] | the gradient check behind `kd-mlp gradcheck`, in f64 through the training code |
//! | [`study`] | the protocol, seeds and paired design, the job graph, the resumable results store; [`study::run`] |
//! | [`report`] | the report model, one file per output (Markdown, CSV, JSON, figure), statistics, size/speed |
//! | [`bench`](mod@bench) | `kd-mlp bench`: the machine score (epochs, inference, the FMA peak, memory, energy) |
//! | [`Error`] | the one error type every layer returns |
//!
//! The command line (`src/cli/`, in the binary) sits on top and only parses flags, shows
//! progress and prints.
//!
//! ## The math in brief
//!
//! For a batch `X: (B, 784)` (MNIST's 28×28 pixels) the network computes
//! `h₁ = relu(X·W₁ + b₁)`, …, `z = h_{L−1}·W_L + b_L` (logits, `(B, classes)`: 10 for MNIST),
//! `p = softmax(z)` and the loss `L = −(1/B) Σ_b log p[b, y_b]`.
//! Backward starts from the fused gradient `dL/dz = (p − onehot(y)) / B` and applies, layer by
//! layer, `dW = hᵀ·dz`, `db = Σ_b dz`, `dh = dz·Wᵀ ⊙ [h > 0]`.
//!
//! ## A forward and backward pass in a few lines
//!
//! ```
//! use kd_mlp::engine::loss::{cross_entropy_backward, softmax_cross_entropy};
//! use kd_mlp::engine::mlp::{Mlp, Workspace};
//! use ndarray::Array2;
//!
//! // a 4-3-2 network, Glorot weights from seed 7, one batch of two samples
//! let mlp = Mlp::<f64>::glorot(&[4, 3, 2], 7).unwrap();
//! let mut ws = Workspace::new(mlp.sizes(), 2);
//! let x = Array2::from_shape_vec((2, 4), vec![0.1, 0.2, 0.3, 0.4, 1.0, 0.0, 0.5, 0.2]).unwrap();
//! mlp.forward(x.view(), &mut ws);
//! let (logits, probs, _) = ws.loss_buffers(2);
//! let loss_sum = softmax_cross_entropy(logits, &[0, 1], probs);
//! // each row of the softmax sums to one
//! assert!(ws.probs(2).rows().into_iter().all(|p| (p.sum() - 1.0).abs() < 1e-12));
//! let (_, probs, dlogits) = ws.loss_buffers(2);
//! cross_entropy_backward(probs.view(), &[0, 1], dlogits);
//! let mut grads = vec![0.0; mlp.params().len()];
//! mlp.backward(x.view(), &mut ws, &mut grads);
//! assert!(loss_sum > 0.0 && grads.iter().any(|&g| g != 0.0));
//! ```

pub mod audit;
pub mod bench;
pub mod data;
pub mod engine;
mod error;
pub mod limits;
pub mod persist;
pub mod report;
pub mod study;
pub mod train;

pub use data::{Dataset, Mnist, Split};
pub use engine::float::Float;
pub use engine::mlp::Mlp;
pub use error::Error;
pub use train::teacher::Teacher;
pub use train::{TrainConfig, Trainer};
