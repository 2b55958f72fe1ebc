// The control methods over jobs: job.list, job.show, job.cancel and job.wait (which
// streams the job's progress until it ends). Thin: check the parameters, call the
// JobService with the peer as actor, render its result as JSON.
// Thread-safety: the methods are safe from any thread (the service is).
#pragma once

#include "common/clock.h"
#include "control/dispatcher.h"
#include "jobs/service.h"

namespace sigmad::app {

void RegisterJobMethods(control::Dispatcher& dispatcher, jobs::JobService& service,
                        const Clock& clock);

}  // namespace sigmad::app
