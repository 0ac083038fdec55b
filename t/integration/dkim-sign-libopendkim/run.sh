#!/usr/bin/env bash
# dkim-sign-postfix with "SignEngine libopendkim": the selectable libopendkim
# signing engine through a real Postfix, verified by dkimpy and Mail::DKIM
# (dkim-sign-postfix itself runs the default, native engine).
DKIM_SIGN_ENGINE=libopendkim exec bash "$top_srcdir/t/integration/dkim-sign-postfix/run.sh"
