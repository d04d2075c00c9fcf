#include "tests/app/router_process.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tr::test {

http_result curl(std::vector<std::string> args) {
  std::vector<std::string> argv{"curl", "-sS", "--max-time", "20",
                                "-o",   "-",   "-w",         "\n%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  child_process p{argv};
  p.wait(std::chrono::seconds{30});
  auto out = p.output();
  http_result r;
  auto cut = out.rfind('\n');
  if (cut == std::string::npos) return r;
  r.status = std::atoi(out.c_str() + cut + 1);
  r.body = out.substr(0, cut);
  return r;
}

std::string json_field(const std::string& json, const std::string& name) {
  std::smatch m;
  std::regex re{"\"" + name + "\"\\s*:\\s*\"([^\"]*)\""};
  return std::regex_search(json, m, re) ? m[1].str() : std::string{};
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned i = 0; i < size; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", digest[i]);
    hex += b;
  }
  return hex;
}

std::string percent_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> query_params(const std::string& query) {
  std::map<std::string, std::string> params;
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    auto part = query.substr(start, end - start);
    auto eq = part.find('=');
    if (eq != std::string::npos) params[part.substr(0, eq)] = percent_decoded(part.substr(eq + 1));
    start = end + 1;
  }
  return params;
}

std::string expected_token(const std::string& key, const std::map<std::string, std::string>& q) {
  std::string body_elements =
      "100002167" "20635F0108000496" "17" "18"
      "032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab";
  std::string query_elements = "LrnDevEui=" + q.at("LrnDevEui") + "&LrnFPort=" + q.at("LrnFPort") +
                               "&LrnInfos=" + q.at("LrnInfos") + "&AS_ID=" + q.at("AS_ID") +
                               "&Time=" + q.at("Time");
  return sha256_hex(body_elements + query_elements + key);
}

router_process::router_process(const std::string& extra_ini, const std::string& data_dir) {
  data_dir_ = data_dir.empty() ? dir_.path() + "/data" : data_dir;
  // INI refuses a section named twice: merge the extra lines into the base sections.
  std::vector<std::pair<std::string, std::string>> sections = {
      {"store", "path = " + data_dir_ + "/router.db\n"},
      {"ingress", "listen = 127.0.0.1:0\n"},
      {"public", "listen = 127.0.0.1:0\n"},
      {"admin", "listen = 127.0.0.1:0\n"},
      {"runtime", "shards = 2\n"}};
  std::istringstream extra{extra_ini};
  std::string line, current;
  while (std::getline(extra, line)) {
    if (line.empty()) continue;
    if (line.front() == '[') {
      current = line.substr(1, line.find(']') - 1);
      if (std::none_of(sections.begin(), sections.end(),
                       [&](auto& s) { return s.first == current; }))
        sections.emplace_back(current, "");
      continue;
    }
    for (auto& [name, body] : sections)
      if (name == current) body += line + "\n";
  }
  std::string ini;
  for (auto& [name, body] : sections) ini += "[" + name + "]\n" + body;
  write_file(dir_.file("router.ini"), ini);
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{TR_BINARY, "serve", "--config", dir_.file("router.ini")});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  while (std::chrono::steady_clock::now() < deadline) {
    auto out = process_->output();
    auto at = out.find("tunnel-router listening:");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
      unsigned a = 0, b = 0, c = 0;
      char host1[64], host2[64], host3[64];
      if (std::sscanf(
              out.c_str() + at,
              "tunnel-router listening: ingress %63[^:]:%u, public %63[^:]:%u, admin %63[^:]:%u",
              host1, &a, host2, &b, host3, &c) == 6) {
        ingress_ = static_cast<std::uint16_t>(a);
        public_ = static_cast<std::uint16_t>(b);
        admin_ = static_cast<std::uint16_t>(c);
        break;
      }
    }
    if (!process_->running())
      throw std::runtime_error("router exited: " + process_->output() + process_->errors());
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  if (admin_ == 0)
    throw std::runtime_error("router did not start: " + process_->output() + process_->errors());
  // A configured admin token (cluster mode writes no file); else the generated one's file.
  for (auto& [name, body] : sections)
    if (auto at = body.find("token = "); name == "admin" && at != std::string::npos)
      token_ = body.substr(at + 8, body.find('\n', at) - at - 8);
  if (token_.empty()) token_ = read_file(data_dir_ + "/admin.token");
  while (!token_.empty() && (token_.back() == '\n' || token_.back() == '\r')) token_.pop_back();
}

router_process::~router_process() {
  if (process_ && process_->running()) process_->kill();
}

std::string router_process::admin_url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(admin_) + path;
}

std::string router_process::ingress_url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(ingress_) + path;
}

http_result router_process::admin(const std::string& method, const std::string& path,
                                  const std::string& body) const {
  std::vector<std::string> args{"-X", method, "-H", "Authorization: Bearer " + token_};
  if (!body.empty()) {
    args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
  }
  args.push_back(admin_url(path));
  return curl(args);
}

http_result router_process::report(const std::string& json, const std::string& query) const {
  return curl({"--http2-prior-knowledge", "-H", "Content-Type: application/json", "--data-binary",
               json, ingress_url("/v1/reports" + query)});
}

double router_process::metric(const std::string& series) const {
  auto r = curl({admin_url("/metrics")});
  std::istringstream lines{r.body};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

bool router_process::wait_metric(const std::string& series, double value,
                                 std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (metric(series) >= value) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return false;
}

int router_process::terminate() {
  process_->kill();  // SIGTERM first; SIGKILL only if it has not exited 3 s later
  return process_->exit_code().value_or(-1);
}

}  // namespace tr::test
