// Network: the forward pass shared by Train and Predict. Private to the analysis module
// (it includes torch headers, which no other module may).
// Thread-safety: pure functions.
#pragma once

#include <torch/types.h>

#include <vector>

namespace sigmad::analysis {

// Applies the members' layers at once: params holds, per layer, the weights
// [members, inputs, outputs] then the biases [members, 1, outputs]; x is
// [members, rows, inputs]. SiLU between layers, none after the last.
inline torch::Tensor Forward(const std::vector<torch::Tensor>& params, torch::Tensor x) {
  const size_t layers = params.size() / 2;
  for (size_t l = 0; l < layers; ++l) {
    x = torch::baddbmm(params[2 * l + 1], x, params[2 * l]);
    if (l + 1 < layers) x = torch::silu(x);
  }
  return x;
}

}  // namespace sigmad::analysis
