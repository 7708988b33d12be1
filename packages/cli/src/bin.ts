#!/usr/bin/env node
console.log('fl');
