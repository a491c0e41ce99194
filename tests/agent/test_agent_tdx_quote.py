"""A tee=tdx GUEST's attestation end to end under the real pv-agent, QEMU and paravisor (README
"GHCB and GHCI"): the guest (tests/agent/guests/tdx_quote.asm) extends RTMR2, asks TDG.MR.REPORT
for a TDREPORT with its own REPORTDATA (the paravisor, as the L1 of TDX partitioning, asks the
partition's simulated TDX module, which keeps the RTMRs), and quotes it with TDVMCALL<GetQuote>
through the agent's simulated quoting enclave. It prints the quote; this test checks it with
`pvattest verify tdx` and the simulated root and collateral (every check), and that REPORTDATA
is the guest's, RTMR2 the SHA-384 extension recomputed here and MRTD what `pvattest measure`
computes. The guest's hostile TDG.MR.REPORT / GetQuote forms fail first, and the paravisor
carries on."""

import hashlib
import json
import os
import unittest

from agent_harness import FIRMWARE, AgentTestCase, agent_guest
from test_agent_simulated_attest import TD_BODY, pvattest


def printed_hex(log, word):
    """What a guest printed in hex: "<word> <hex>" lines up to "<word>-END <length>"."""
    lines = [l.split("[guest] ", 1)[1] for l in log.splitlines() if f"[guest] {word}" in l]
    end = [l for l in lines if l.startswith(f"{word}-END ")]
    if len(end) != 1:
        raise AssertionError(f"no single {word}-END line in the firmware log")
    body = bytes.fromhex("".join(l[len(word) + 1:] for l in lines if not l.startswith(f"{word}-")))
    if len(body) != int(end[0].split()[1], 16):
        raise AssertionError(f"{len(body)} bytes printed, {word}-END says {end[0]}")
    return body


def printed_quote(log):
    """The quote the guest printed: "QUOTE <hex>" lines up to "QUOTE-END <length>"."""
    return printed_hex(log, "QUOTE")


class TdxGuestQuoteTest(AgentTestCase):

    def test_guest_quote_carries_its_reportdata_rtmr_and_the_launch_mrtd(self):
        a = self.agent
        image = agent_guest("tdx_quote.bin")
        p, log = self.run_tdx_to_stop("tdq", image, "tee=tdx")
        self.assertTrue(p["exit"].get("success"), log[-4000:])
        self.assertIn("tdx_quote: done", log)
        # The hostile forms were refused by name and the guest went on.
        self.assertIn("TDG.MR.REPORT refused", log)
        self.assertIn("GetQuote refused", log)
        self.assertIn("1 RTMR extensions, 1 TDREPORTs", log)

        quote = printed_quote(log)
        path = os.path.join(self.tmp.name, "guest-quote.bin")
        with open(path, "wb") as f:
            f.write(quote)
        report_data = bytes((7 + 3 * i) & 0xff for i in range(64))
        rtmr2 = hashlib.sha384(bytes(48) + bytes(range(0x40, 0x70))).digest()

        tdx = {t["tee"]: t for t in a.ok("capabilities")["simulated_tees"]}["TEE_TDX"]
        verify = ["verify", "tdx", "--quote", path, "--collateral-dir", tdx["collateral_dir"],
                  "--report-data", report_data.hex(), "--allow-root", tdx["root_certificate"]]
        accepted = pvattest(*verify, "--json")
        self.assertEqual(accepted.returncode, 0, accepted.stdout + accepted.stderr)
        checks = {c["name"]: c["value"] for c in json.loads(accepted.stdout)["checks"]}
        for name in ("quote_sig", "qe_report_sig", "ak_binding", "pck_chain", "pck_crl",
                     "root_crl", "collateral_sigs", "qe_identity"):
            self.assertTrue(checks[name].startswith(("ok", "UpToDate")), (name, checks[name]))
        self.assertEqual(checks["tcb"], "UpToDate", checks)

        body = quote[TD_BODY:]
        self.assertEqual(body[520:584], report_data)  # REPORTDATA as the guest chose
        self.assertEqual(body[424:472], rtmr2)  # RTMR2 = SHA-384(0^48 || data)
        self.assertEqual(body[328:424], bytes(96))  # RTMR0, RTMR1 untouched
        self.assertEqual(body[472:520], bytes(48))  # RTMR3 untouched
        measured = json.loads(pvattest("measure", "--firmware", FIRMWARE, "--guest", image,
                                       "--guest-cmdline", "tee=tdx", "--memory", "64",
                                       "--cmdline", "tee=tdx", "--json").stdout)
        self.assertEqual(body[136:184].hex(), measured["tdx_mrtd"])
        # The paravisor's own log copy of RTMR2 follows the module's.
        self.assertIn("RTMR2 " + rtmr2.hex(), log)
        # Another guest's REPORTDATA would not verify against this quote.
        other = pvattest(*[("00" * 64 if v == report_data.hex() else v) for v in verify])
        self.assertEqual(other.returncode, 1, other.stdout + other.stderr)


if __name__ == "__main__":
    unittest.main()
