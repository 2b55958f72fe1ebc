// Reading small files (configs, certificates, policies) safely.
//
// ReadRegularFile opens without blocking and refuses anything that is not a regular
// file (a directory, a FIFO that would block forever, a device) and anything larger
// than max_bytes, so a wrong path gives a clear error instead of a hang or an
// out-of-memory. The error message is "cannot read: <why>" without the path; callers
// prefix it with the path in their own format.
// Thread-safety: reentrant.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "common/status.h"

namespace sigmad {

Result<std::string> ReadRegularFile(const std::filesystem::path& path, size_t max_bytes);

}  // namespace sigmad
