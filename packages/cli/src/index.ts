export { EXIT, exitCodeFor } from './output.js'
export { buildProgram, main } from './program.js'
