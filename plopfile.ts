// Generators land with the generators issue; plop loads this file.
export default function plopfile(): void {}
