# Fails when docs/ops.md differs from what `bp ops --markdown` prints now
# (the catalog changed and the doc was not regenerated).
execute_process(COMMAND ${BP} ops --markdown OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bp ops --markdown exited ${rc}")
endif()
file(READ ${DOC} committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "docs/ops.md is stale: regenerate it with\n"
                      "  BP_PLUGINS=none ./build/bin/bp ops --markdown > docs/ops.md")
endif()
message(STATUS "docs/ops.md matches the catalog")
