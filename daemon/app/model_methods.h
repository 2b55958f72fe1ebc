// The control methods over models: model.train (queues a training job and returns it),
// model.list, model.show and model.predict (its CSV arrives as an upload, app/uploads.h,
// and its predictions go back as chunks, like dataset.export's). Thin: check the
// parameters, call the ModelService with the peer as actor, render its result as JSON.
// Thread-safety: the methods are safe from any thread (the service is).
#pragma once

#include "app/uploads.h"
#include "control/dispatcher.h"
#include "models/service.h"

namespace sigmad::app {

void RegisterModelMethods(control::Dispatcher& dispatcher, models::ModelService& service,
                          Uploads& uploads);

}  // namespace sigmad::app
