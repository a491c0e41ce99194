# Copies the fuzz seeds from the shared vectors (SRC) into the build tree (DST) at test time,
# and creates empty working corpora. Run with: cmake -DSRC=... -DDST=... -P copy_fuzz_seeds.cmake
set(quote_seeds
  tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat
  tdx/go-tdx-guest/quote_v5_sample.dat
  tdx/go-tdx-guest/cos-113-tdx-quote.dat
  tdx/phala-dcap-qvl/tdx_quote
  tdx/phala-dcap-qvl/tdx_quote_outdated
  tdx/phala-dcap-qvl/quote-from-tappd.bin
  tdx/intel-qvl-sampleData/quote.dat
  trustee/tdx/tdx_quote_4.dat
  trustee/tdx/tdx_quote_5.dat)
set(collateral_seeds
  tdx/go-tdx-guest/sample_tcbInfo_response
  tdx/go-tdx-guest/sample_tcbinfo_response_v5
  tdx/go-tdx-guest/sample_qeIdentity_response
  tdx/phala-dcap-qvl/tdx_quote.tcbInfo.json
  tdx/phala-dcap-qvl/tdx_quote.qeIdentity.json
  tdx/teekit/sampleTcbInfos/tcbInfo-tdx-00806f050000.json
  tdx/teekit/sampleTcbInfos/tcbInfo-tdx-90c06f000000.json
  tdx/intel-qvl-sampleData/tcbInfo.json
  tdx/intel-qvl-sampleData/qeIdentity.json
  trustee/tdx/tcbInfo.json
  trustee/tdx/enclaveIdentity.json)
# PCK certificates: PEM as stored, plus DER converted with the openssl CLI when it is installed
# (DER lets the fuzzer mutate the extension bytes directly).
set(pck_certificate_seeds
  tdx/intel-qvl-sampleData/pckCert.pem
  tdx/intel-qvl-sampleData/pckSignChain.pem
  tdx/intel-qvl-sampleData/tdx/pckCert.pem
  tdx/intel-qvl-sampleData/tdx/pckSignChain.pem)
foreach(kind quote collateral pck_certificate)
  file(REMOVE_RECURSE "${DST}/seeds_${kind}")
  file(MAKE_DIRECTORY "${DST}/seeds_${kind}" "${DST}/work_${kind}")
  set(count 0)
  foreach(rel IN LISTS ${kind}_seeds)
    if(EXISTS "${SRC}/${rel}")
      string(REPLACE "/" "_" name "${rel}")
      configure_file("${SRC}/${rel}" "${DST}/seeds_${kind}/${name}" COPYONLY)
      math(EXPR count "${count} + 1")
    endif()
  endforeach()
  if(kind STREQUAL "pck_certificate")
    find_program(OPENSSL_CLI openssl)
    if(OPENSSL_CLI)
      foreach(rel IN LISTS pck_certificate_seeds)
        string(REPLACE "/" "_" name "${rel}")
        execute_process(COMMAND "${OPENSSL_CLI}" x509 -in "${SRC}/${rel}" -outform DER
                                -out "${DST}/seeds_${kind}/${name}.der"
                        RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
      endforeach()
    endif()
  endif()
  if(count EQUAL 0)
    message(FATAL_ERROR "no ${kind} fuzz seeds found under ${SRC}")
  endif()
endforeach()
