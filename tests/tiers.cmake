# Test tiers. Every ctest test carries one label, so that a run can pick a tier
# (`ctest -L unit`, `ctest -LE scenario`):
#   unit      one component in-process: no sockets, no threads of its own, no other program
#   engine    in-process with real sockets, TLS, HTTP/2 peers, shards or actors
#   process   starts the router binary or another program (curl, nghttp, h2load, PostgreSQL)
#   scenario  end to end: the harness's load scenarios, the README walkthrough, the browser
# The tier of a test is the first rule below whose regular expression matches its name
# (GoogleTest tests are named Suite.test), else the default of its test binary, else
# `process`. New tests get a tier from these rules without any edit; add a rule when a new
# suite belongs elsewhere than its binary's default.
#
# Read twice: at configure time by tests/CMakeLists.txt (tests declared with add_test) and by
# ctest after the GoogleTest tests were discovered (TEST_INCLUDE_FILES), which is why it holds
# nothing but plain commands.

set(tr_tier_rules
  "unit" "^bench_[a-z]+_smoke$"
  "unit" "^(admin_guard\\.|load_following\\.|runtime_timer_wheel\\.|h2_client_frames_test\\.|h2_client_review_test\\.|frames/|hpack_encoder_review\\.|h1_client_test\\.|h1_server_test\\.|report_factory\\.|schedule_text\\.)"
  "scenario" "^(scenario_smoke\\.|readme_walkthrough$|console_)"
  "process" "^(serve_|cli\\.|config_files\\.|store_copy\\.|postgres_|postgres_store\\.|two_replicas\\.|backends/|client_peers_test\\.|server_peers_test\\.|crash\\.)"
  "engine" "^(data_plane_|supervision\\.|ns_forwarder\\.|runtime_|h1_engines_test\\.|h2_engines_test\\.|tls_session|listener_|as_simulator_test\\.|load_generator\\.)")
# The default tier of each GoogleTest binary.
set(tr_tier_default_tr_logging_tests unit)
set(tr_tier_default_tr_codecs_tests unit)
set(tr_tier_default_tr_actors_tests unit)
set(tr_tier_default_tr_api_tests unit)
set(tr_tier_default_tr_store_tests unit)
set(tr_tier_default_tr_transport_tests engine)
set(tr_tier_default_tr_app_tests process)
set(tr_tier_default_tr_harness_tests engine)

# tr_label_tests(BINARY TEST...): labels each TEST with its tier (BINARY may be empty).
macro(tr_label_tests tr_binary)
  foreach(tr_test_name ${ARGN})
    set(tr_tier "")
    set(tr_rules ${tr_tier_rules})
    while(tr_rules AND NOT tr_tier)
      list(POP_FRONT tr_rules tr_rule_tier tr_rule_regex)
      if(tr_test_name MATCHES "${tr_rule_regex}")
        set(tr_tier ${tr_rule_tier})
      endif()
    endwhile()
    if(NOT tr_tier AND DEFINED tr_tier_default_${tr_binary})
      set(tr_tier ${tr_tier_default_${tr_binary}})
    endif()
    if(NOT tr_tier)
      set(tr_tier process)
    endif()
    set_tests_properties("${tr_test_name}" PROPERTIES LABELS ${tr_tier})
  endforeach()
endmacro()

# tr_label_directory(): labels every test declared with add_test in the current directory.
function(tr_label_directory)
  get_property(tr_direct DIRECTORY PROPERTY TESTS)
  tr_label_tests("" ${tr_direct})
endfunction()
