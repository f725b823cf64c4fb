/** @tessera/server: the W3C VC-API HTTP face of one organisation home. */
export {}
