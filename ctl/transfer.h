// Files to and from the daemon: reading a local file, sending it as an upload
// (dataset.upload parts), and receiving a method's {"chunk"} progress messages into a
// file or standard output (dataset.export, model.predict).
#pragma once

#include <Poco/JSON/Object.h>

#include <string>

#include "commands.h"
#include "common/status.h"

namespace sigmad::ctl {

// The whole file; "io" naming `what` and `file` if it cannot be read.
Result<std::string> ReadWhole(const std::string& what, const std::string& file);

// Sends `bytes` as an upload and returns its id, for the method that takes it.
Result<std::string> Upload(const GlobalOptions& g, const std::string& bytes);

// Calls `method` and writes the chunks it sends to standard output, or to `output`:
// there through a new temporary file (mode 0600, as it holds customer data) beside it,
// fsynced and renamed into place only when every byte the result's "bytes" promises
// has arrived, so that `output` is written whole or not at all. A failed write to
// standard output is an "io" error too. Other progress messages are drawn as a bar on
// a terminal. Returns the result.
Result<Poco::JSON::Object::Ptr> Download(const GlobalOptions& g, const std::string& method,
                                         Poco::JSON::Object::Ptr params,
                                         const std::string& output);

}  // namespace sigmad::ctl
