#include "transport/client_connection.hpp"

#include "transport/h1_client_connection.hpp"
#include "transport/h2_client_connection.hpp"

namespace tr::transport {

std::unique_ptr<client_connection> make_client_connection(std::string_view alpn,
                                                          const client_options& options) {
  if (alpn == "h2") return std::make_unique<h2_client_connection>(options);
  return std::make_unique<h1_client_connection>(options);
}

}  // namespace tr::transport
