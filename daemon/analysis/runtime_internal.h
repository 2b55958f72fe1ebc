// Inside the analysis module only: applies SetThreads' count on the calling thread.
// Train and Predict call it first (see runtime.h, "Threads").
#pragma once

namespace sigmad::analysis {

void ApplyThreads();

}  // namespace sigmad::analysis
