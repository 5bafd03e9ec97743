#!/usr/bin/env bash
# Placeholder until the offline map assets land: nothing to fetch yet.
exit 0
