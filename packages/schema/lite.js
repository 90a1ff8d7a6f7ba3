// The `@canopy/schema/lite` entry point: see src/lite.ts.
'use strict';
module.exports = require('./dist/lite.js');
