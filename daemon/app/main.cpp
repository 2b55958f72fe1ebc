// sigmad: the on-premises analysis appliance daemon. See app/daemon.h.
#include "app/daemon.h"

int main(int argc, char** argv) {
  sigmad::app::SigmadApp app;
  return app.RunMain(argc, argv);
}
