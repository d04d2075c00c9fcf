// A write acknowledged by the store survives a SIGKILL of the writing process.

#include <csignal>
#include <cstdio>
#include <set>

#include <sys/wait.h>
#include <unistd.h>

#include "tests/store/store_fixture.hpp"

namespace tr::store::testing {
namespace {

/// In the child: writes connections in a burst, printing each id once its write returned.
[[noreturn]] void write_burst(const std::filesystem::path& path, int out) {
  auto opened = database::open(open_options{path, test_data_key, {}});
  if (!opened) ::_exit(3);
  define_sample_domains(**opened);
  for (int i = 0;; ++i) {
    auto made = (*opened)->create_connection(sample_connection("burst " + std::to_string(i)));
    if (!made) ::_exit(4);
    auto line = made->id + " " + made->key + "\n";
    if (::write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(5);
  }
}

TEST(crash, every_acknowledged_connection_survives_a_sigkill_mid_burst) {
  temp_folder folder;
  auto path = folder.path() / "router.db";
  int pipe_ends[2];
  ASSERT_EQ(::pipe(pipe_ends), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_ends[0]);
    write_burst(path, pipe_ends[1]);
  }
  ::close(pipe_ends[1]);

  // Read acknowledgements until 200 arrived, kill the writer mid-burst, then drain the rest.
  FILE* acks = ::fdopen(pipe_ends[0], "r");
  ASSERT_NE(acks, nullptr);
  std::vector<std::pair<std::string, std::string>> acknowledged;
  char id[64];
  char key[64];
  while (acknowledged.size() < 200 && std::fscanf(acks, "%63s %63s", id, key) == 2)
    acknowledged.emplace_back(id, key);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself: " << WEXITSTATUS(status);
  while (std::fscanf(acks, "%63s %63s", id, key) == 2) acknowledged.emplace_back(id, key);
  std::fclose(acks);
  ASSERT_GE(acknowledged.size(), 200u);

  auto opened = database::open(open_options{path, test_data_key, {}});
  ASSERT_TRUE(opened) << opened.error_value().message;
  auto all = (*opened)->list_connections();
  ASSERT_TRUE(all) << all.error_value().message;
  EXPECT_GE(all->size(), acknowledged.size());
  for (const auto& [acked_id, acked_key] : acknowledged) {
    auto read = (*opened)->get_connection(acked_id);
    ASSERT_TRUE(read) << acked_id << ": " << read.error_value().message;
    EXPECT_EQ(read->key, acked_key);
    EXPECT_EQ(read->headers.size(), 2u);
    EXPECT_EQ(read->domains.size(), 2u);
    EXPECT_EQ(read->as_id.rfind("TWA_100002167.1111.AS-", 0), 0u) << read->as_id;
  }
}

}  // namespace
}  // namespace tr::store::testing
