// The control methods over models: model.train (queues a training job and returns it),
// model.list and model.show. Thin: check the parameters, call the ModelService with the
// peer as actor, render its result as JSON.
// Thread-safety: the methods are safe from any thread (the service is).
#pragma once

#include "control/dispatcher.h"
#include "models/service.h"

namespace sigmad::app {

void RegisterModelMethods(control::Dispatcher& dispatcher, models::ModelService& service);

}  // namespace sigmad::app
