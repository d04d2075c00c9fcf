#include "actors/uplink_request.hpp"

#include <array>

#include "codecs/encoders.hpp"
#include "codecs/query.hpp"

namespace tr::actors {

codecs::error build_uplink_request(const connection_config& config, codecs::token_signer& signer,
                                   const codecs::report& report, codecs::time_point now,
                                   std::string_view infos, std::string& target, std::string& body,
                                   std::uint32_t lost_uplinks) {
  const auto& fields = report.fields();
  std::array<char, codecs::time_text_size> time_text;
  codecs::format_time(now, time_text);
  codecs::uplink_query query;
  query.dev_eui = fields.dev_eui;
  query.fport = fields.fport.empty() ? std::string_view{"0"} : fields.fport;
  query.infos = infos;
  query.as_id = config.as_id;
  query.time = {time_text.data(), time_text.size()};

  std::array<char, codecs::token_size> token;
  if (auto err = signer.sign_uplink(fields, query, token); !err.ok()) return err;

  target.clear();
  target += config.path_prefix;
  codecs::append_uplink_query(query, target);
  target += "&Token=";
  target.append(token.data(), token.size());

  body.clear();
  codecs::encode_uplink(report, config.format, lost_uplinks, body);
  return {};
}

}  // namespace tr::actors
