#include "app/cli.hpp"

int main(int argc, char** argv) {
  return tr::app::run_cli(argc, argv);
}
