#!/usr/bin/env bash
# dkim-verify-postfix with "VerifyEngine libopendkim": the selectable
# libopendkim verifying engine gives the same per-signature results through a
# real Postfix (dkim-verify-postfix itself runs the default, native engine).
DKIM_VERIFY_ENGINE=libopendkim exec bash "$top_srcdir/t/integration/dkim-verify-postfix/run.sh"
