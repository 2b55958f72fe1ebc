// The control methods over datasets: dataset.import, dataset.list, dataset.show,
// dataset.export and dataset.delete. Thin: check the parameters, call the
// DatasetService with the peer as actor, render its result as JSON.
//
// The CSV of dataset.import arrives first as an upload (app/uploads.h).
// Thread-safety: the methods are safe from any thread.
#pragma once

#include "app/uploads.h"
#include "control/dispatcher.h"
#include "dataset/service.h"

namespace sigmad::app {

void RegisterDatasetMethods(control::Dispatcher& dispatcher, dataset::DatasetService& service,
                            Uploads& uploads);

}  // namespace sigmad::app
