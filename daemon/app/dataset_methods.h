// The control methods over datasets: dataset.upload, dataset.import, dataset.list,
// dataset.show, dataset.export and dataset.delete. Thin: check the parameters, call the
// DatasetService with the peer as actor, render its result as JSON.
//
// Uploads. A CSV can be larger than one request line (control.max_request_bytes), so
// its bytes arrive first, base64-encoded, in as many dataset.upload calls as needed
// (each appends to the upload it names, or starts one), and dataset.import names the
// upload. Uploads live in memory: at most kMaxImportBytes each and kMaxUploadBytes in
// all, each dropped
// kUploadIdleTimeout after its last part, and dropped by the import that uses it,
// whether it succeeds or not.
// Thread-safety: the methods are safe from any thread.
#pragma once

#include <chrono>
#include <cstddef>

#include "common/clock.h"
#include "control/dispatcher.h"
#include "dataset/service.h"

namespace sigmad::app {

inline constexpr size_t kMaxUploadBytes = size_t{1} << 30;  // all uploads in progress
inline constexpr size_t kMaxImportBytes = size_t{256} << 20;  // one dataset file
inline constexpr auto kUploadIdleTimeout = std::chrono::minutes(10);

void RegisterDatasetMethods(control::Dispatcher& dispatcher, dataset::DatasetService& service,
                            const Clock& clock);

}  // namespace sigmad::app
