# Runs one libFuzzer target briefly: copies the seed files into a fresh corpus directory in the
# build tree (never into the source tree), then fuzzes for a bounded time.
# Variables: FUZZER (binary), CORPUS (directory to create), SEEDS (;-list of files),
# SECONDS (max_total_time).
file(REMOVE_RECURSE "${CORPUS}")
file(MAKE_DIRECTORY "${CORPUS}")
foreach(seed IN LISTS SEEDS)
  if(NOT EXISTS "${seed}")
    message(FATAL_ERROR "fuzz seed missing: ${seed}")
  endif()
  file(COPY "${seed}" DESTINATION "${CORPUS}")
endforeach()
execute_process(
  COMMAND "${FUZZER}" "${CORPUS}" -max_total_time=${SECONDS} -max_len=16384 -rss_limit_mb=1024
          -print_final_stats=1
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "fuzzer ${FUZZER} failed with ${result}")
endif()
